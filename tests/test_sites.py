"""Sites files: valid ones become SiteConfig, bad ones fail naming the site and the key."""

import re

import pytest

from crawler.sites import SitesFileError, bundled_sites_file, load_sites, site_for_urls


def write(tmp_path, text):
    path = tmp_path / "sites.toml"
    path.write_text(text, "utf-8")
    return path


def test_bundled_sites_file_loads_and_names_china_org_cn():
    sites = load_sites(bundled_sites_file())
    assert "china_org_cn" in sites
    assert all(site.start_urls for site in sites.values())


def test_site_rules(tmp_path):
    sites = load_sites(
        write(
            tmp_path,
            """
[sites.portal]
start_urls = ["http://news.example.cn/"]
allowed_hosts = ["example.cn"]
article_patterns = ['/content_\\d+\\.htm$']
deny_patterns = ['/video/']
drop_phrases = "责任编辑"
timezone = "Asia/Shanghai"
""",
        )
    )
    site = sites["portal"]
    assert site.allows("http://tech.example.cn/a.htm")
    assert not site.allows("http://example.com/a.htm")
    assert not site.allows("ftp://example.cn/a.htm")
    assert site.is_article_url("http://example.cn/2022/content_123.htm") is True
    assert site.is_article_url("http://example.cn/node_1.htm") is False
    assert not site.should_follow("http://example.cn/video/1.htm")
    assert site.drop_phrases == ("责任编辑",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[sites.a]\nstart_urls = ["http://a.cn/"]\nbody_xp = "//div"', "unknown keys"),
        ("[sites.a]\nfeeds = []", "start_urls is required"),
        ('[sites.a]\nstart_urls = ["ftp://a.cn/"]', "not an http(s) URL"),
        ('[sites.a]\nstart_urls = ["http://a.cn/"]\narticle_patterns = ["("]', "bad regular"),
        ('[sites.a]\nstart_urls = ["http://a.cn/"]\nbody_xpath = "//div[@"', "bad XPath"),
        ('[sites.a]\nstart_urls = ["http://a.cn/"]\ntimezone = "Mars/Base"', "unknown timezone"),
        ("[sites.a\n", "sites.toml"),
        ("title = 'no sites'", "no [sites.NAME] tables"),
    ],
)
def test_bad_files_fail_loudly(tmp_path, body, message):
    with pytest.raises(SitesFileError, match=re.escape(message)) as err:
        load_sites(write(tmp_path, body))
    assert "sites.toml" in str(err.value)


def test_start_urls_make_a_site_on_their_hosts():
    site = site_for_urls(["http://127.0.0.1:8000/", "http://127.0.0.1:8000/news/"])
    assert site.allowed_hosts == ("127.0.0.1",)
    assert site.allows("http://127.0.0.1:8000/x")
    assert not site.allows("http://localhost:8000/x")


def test_a_site_is_its_hosts_on_its_ports():
    """Another port of an allowed host is another server: the check compared hosts only."""
    local = site_for_urls(["http://127.0.0.1:8000/"])
    assert local.allows("http://127.0.0.1:8000/news/1.html")
    assert not local.allows("http://127.0.0.1:9000/news/1.html")
    assert not local.allows("http://127.0.0.1:port/news/1.html")
    portal = site_for_urls(["https://news.example.cn/"])
    assert portal.allows("http://news.example.cn/a.html")  # the same site without TLS
    assert portal.allows("https://www.news.example.cn:443/a.html")
    assert not portal.allows("http://news.example.cn:8080/a.html")
