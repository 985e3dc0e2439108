"""The deployment files: the container file (built where a Docker daemon runs, linted
everywhere), the systemd units (``systemd-analyze verify`` where it exists), the log rotation
and the state backup."""

from __future__ import annotations

import fnmatch
import getpass
import grp
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO

DEPLOY = REPO / "deploy"
_INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
    "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip


def _instructions(text: str) -> list[tuple[str, str]]:
    """(instruction, arguments) of a Dockerfile, continuation lines joined."""
    joined = text.replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _docker_daemon() -> bool:
    if not shutil.which("docker"):
        return False
    done = subprocess.run(["docker", "info"], capture_output=True, timeout=60)
    return done.returncode == 0


def test_the_container_file_is_well_formed_and_copies_the_package():
    steps = _instructions((REPO / "Dockerfile").read_text("utf-8"))
    unknown = [name for name, _ in steps if name not in _INSTRUCTIONS]
    assert not unknown, f"not Dockerfile instructions: {unknown}"
    assert steps[0][0] == "FROM", "a Dockerfile starts with FROM"
    (entrypoint,) = [args for name, args in steps if name == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["scrapy", "crawl", "news"], "exec form: signals reach it"
    (volume,) = [args for name, args in steps if name == "VOLUME"]
    assert {Path(v).name for v in json.loads(volume)} == {"data", "out"}
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = set()
    for name, args in steps:
        if name == "COPY":
            *sources, _ = args.split()
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
                assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source
                copied.add(source.strip("./"))
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied, f"the image must hold every package: {packages - copied} missing"
    assert "scrapy.cfg" in copied, "scrapy finds the project's settings through scrapy.cfg"


@pytest.mark.skipif(not _docker_daemon(), reason="no Docker daemon: the file is linted only")
def test_the_container_builds():
    done = subprocess.run(
        ["docker", "build", "-q", "-t", "newscrawl-test", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_the_systemd_units_verify(tmp_path):
    """The units as installed from this checkout (the service's paths point at it)."""
    scrapy = Path(sys.executable).parent / "scrapy"
    service = (DEPLOY / "newscrawl.service").read_text("utf-8")
    service = service.replace("/srv/newscrawl/.venv/bin/scrapy", str(scrapy))
    (tmp_path / "newscrawl.service").write_text(service.replace("/srv/newscrawl", str(REPO)))
    shutil.copy(DEPLOY / "newscrawl.timer", tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "verify", "newscrawl.service", "newscrawl.timer"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # A directive it cannot parse is only a warning: any output is a failure here.
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


@pytest.mark.skipif(not shutil.which("logrotate"), reason="logrotate not installed")
def test_the_log_rotation_parses(tmp_path):
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    conf = (DEPLOY / "logrotate.conf").read_text("utf-8")
    conf = conf.replace("su newscrawl newscrawl", f"su {user} {group}")
    (tmp_path / "newscrawl").write_text(conf.replace("/srv/newscrawl", str(tmp_path)))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "crawl.log").write_text("a line\n")
    done = subprocess.run(
        ["logrotate", "-d", "-s", str(tmp_path / "status"), str(tmp_path / "newscrawl")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "error" not in (done.stdout + done.stderr).lower(), done.stdout + done.stderr


def test_the_state_backup_copies_the_state_and_the_jobs(tmp_path):
    data = tmp_path / "data"
    (data / "jobs" / "hourly").mkdir(parents=True)
    (data / "jobs" / "hourly" / "history.json").write_text("[]")
    with sqlite3.connect(data / "state.sqlite") as db:
        db.execute("CREATE TABLE pages (url TEXT)")
        db.execute("INSERT INTO pages VALUES ('https://news.example.com/a.html')")
    done = subprocess.run(
        ["bash", str(DEPLOY / "backup-state.sh"), str(data), str(tmp_path / "backups")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert done.returncode == 0, done.stderr
    copy = Path(done.stdout.strip())
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT url FROM pages").fetchall() == [
            ("https://news.example.com/a.html",)
        ]
    (archive,) = (tmp_path / "backups").glob("jobs-*.tar.gz")
    with tarfile.open(archive) as tar:
        assert "jobs/hourly/history.json" in tar.getnames()


def test_the_readme_is_short_and_links_every_doc():
    readme = (REPO / "README.md").read_text("utf-8")
    assert len(readme.encode()) <= 8 * 1024, "the README is the first screen: the rest is docs/"
    unlinked = [p.name for p in (REPO / "docs").glob("*.md") if f"(docs/{p.name}" not in readme]
    assert not unlinked, f"link these from the README's Documentation list: {unlinked}"
