import pytest
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from crawler import language_model

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
    assert language_model.cache_file().parent == tmp_path
    assert language_model.cache_file().is_file()

    def refuse(*args, **kwargs):
        raise AssertionError("the packaged model was decompressed again")

    monkeypatch.setattr(LanguageIdentifier, "from_modelpath", refuse)
    again = language_model.load()
    assert again is not first
    for text in TEXTS:
        assert again.classify(text) == first.classify(text) == packaged.classify(text)


def test_a_broken_cache_is_rebuilt(tmp_path, monkeypatch, packaged):
    monkeypatch.setenv("NEWSCRAWL_CACHE_DIR", str(tmp_path))
    language_model.cache_file().write_bytes(b"half a pickle")
    assert language_model.load().classify(TEXTS[0]) == packaged.classify(TEXTS[0])
    assert language_model.cache_file().stat().st_size > 1_000_000


def test_an_unwritable_cache_folder_still_loads_the_model(tmp_path, monkeypatch, packaged):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("NEWSCRAWL_CACHE_DIR", str(blocker))
    assert language_model.load().classify(TEXTS[1]) == packaged.classify(TEXTS[1])
    assert list(tmp_path.iterdir()) == [blocker]
