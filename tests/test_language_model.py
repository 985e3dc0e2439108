import pytest
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from crawler.extract import language_model

TEXTS = [
    "Die Bundesregierung hat am Mittwoch neue Regeln beschlossen, die ab Januar gelten.",
    "El Gobierno aprobó el miércoles nuevas normas que entrarán en vigor en enero.",
    "The government approved new rules on Wednesday that take effect in January.",
]


@pytest.fixture(scope="module")
def packaged() -> LanguageIdentifier:
    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def test_the_model_is_read_back_from_the_cache(tmp_path, monkeypatch, packaged):
    monkeypatch.setenv("NEWSCRAWL_CACHE_DIR", str(tmp_path))
    first = language_model.load()
    assert language_model.cache_folder().parent == tmp_path
    assert language_model.cache_folder().is_dir()

    def refuse(*args, **kwargs):
        raise AssertionError("the packaged model was decompressed again")

    monkeypatch.setattr(LanguageIdentifier, "from_modelpath", refuse)
    again = language_model.load()
    assert again is not first
    for text in TEXTS:
        assert again.classify(text) == first.classify(text) == packaged.classify(text)


def test_the_pickle_of_earlier_versions_is_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSCRAWL_CACHE_DIR", str(tmp_path))
    (tmp_path / "py3langid-0.4.0.pickle").write_bytes(b"the model as newscrawl kept it before")
    language_model.load()
    assert sorted(p.name for p in tmp_path.iterdir()) == [language_model.cache_folder().name]


def test_a_broken_cache_is_rebuilt(tmp_path, monkeypatch, packaged):
    monkeypatch.setenv("NEWSCRAWL_CACHE_DIR", str(tmp_path))
    language_model.load()
    table = language_model.cache_folder() / "nb_ptc.npy"
    table.write_bytes(table.read_bytes()[:1000])
    assert language_model.load().classify(TEXTS[0]) == packaged.classify(TEXTS[0])
    assert table.stat().st_size > 1_000_000


def test_the_copy_is_mapped_not_read_into_memory(tmp_path, monkeypatch):
    """The workers share the model through the page cache only while it stays a read-only
    mapping of the files."""
    monkeypatch.setenv("NEWSCRAWL_CACHE_DIR", str(tmp_path))
    language_model.load()
    identifier = language_model.load()
    assert not identifier.nb_ptc.flags.writeable
    assert identifier.tk_nextmove.readonly


def test_an_unwritable_cache_folder_still_loads_the_model(tmp_path, monkeypatch, packaged):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("NEWSCRAWL_CACHE_DIR", str(blocker))
    assert language_model.load().classify(TEXTS[1]) == packaged.classify(TEXTS[1])
    assert list(tmp_path.iterdir()) == [blocker]


def _resident_kib(path) -> int:
    """Resident KiB of this process's mappings of ``path``."""
    total, current = 0, None
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if not line[0].isupper():  # a mapping's header: range, perms, offset, dev, inode, path
                current = fields[5] if len(fields) > 5 else None
            elif fields[0] == "Rss:" and current == str(path):
                total += int(fields[1])
    return total


def test_a_text_maps_only_the_pages_it_reaches_of_a_copy_just_written(tmp_path, monkeypatch):
    """A copy just written sits in the page cache as large folios, which the kernel maps whole
    on a fault: without dropping them, this one text made 22 MiB of the table resident."""
    monkeypatch.setenv("NEWSCRAWL_CACHE_DIR", str(tmp_path))
    identifier = language_model.load()
    identifier.classify(TEXTS[0])
    table = language_model.cache_folder() / "tk_nextmove.npy"
    assert 0 < _resident_kib(table) < 4096
