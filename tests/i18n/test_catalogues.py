"""The shipped catalogues are complete (SPEC §14): every customer string marked in the code and the
templates is in each language's catalogue, translated, not fuzzy, with the right plural forms, and
compiled into the committed .mo file that a fresh machine serves without gettext tools."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation import to_locale

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
SHIPPED = [to_locale(code) for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLURAL_FORMS = {"fr": 2, "es": 2, "pt_BR": 2, "ar": 6}


def catalogue(locale: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / locale / "LC_MESSAGES" / "django.po"))


def test_every_shipped_language_has_a_catalogue():
    assert sorted(SHIPPED) == sorted(PLURAL_FORMS)
    for locale in SHIPPED:
        assert (LOCALE / locale / "LC_MESSAGES" / "django.po").is_file(), locale


@pytest.mark.parametrize("locale", SHIPPED)
def test_a_catalogue_has_no_untranslated_fuzzy_or_obsolete_entry(locale):
    po = catalogue(locale)
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po.obsolete_entries()] == []
    assert not po.metadata_is_fuzzy
    assert f"nplurals={PLURAL_FORMS[locale]};" in po.metadata["Plural-Forms"]
    for entry in po:
        if entry.msgid_plural:
            forms = entry.msgstr_plural
            assert sorted(forms) == list(range(PLURAL_FORMS[locale])), entry.msgid
            assert all(forms.values()), entry.msgid


@pytest.mark.parametrize("locale", SHIPPED)
def test_placeholders_survive_translation(locale):
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    for entry in catalogue(locale):
        wanted = set(placeholder.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            # a plural form for exactly one (Arabic "one", "two") may say the number in words
            assert set(placeholder.findall(text)) <= wanted | set(placeholder.findall(entry.msgid_plural)), text
            if not entry.msgid_plural:
                assert set(placeholder.findall(text)) == wanted, (entry.msgid, text)


@pytest.mark.parametrize("locale", SHIPPED)
def test_the_committed_mo_file_is_the_compiled_catalogue(locale):
    po = catalogue(locale)
    mo = polib.mofile(str(LOCALE / locale / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in mo if e.msgid}
    source = {
        (e.msgctxt, e.msgid): (e.msgstr, {k: v for k, v in e.msgstr_plural.items()}) for e in po.translated_entries()
    }
    assert {key: (s, {int(k): v for k, v in p.items()}) for key, (s, p) in compiled.items()} == source, (
        f"locale/{locale}/LC_MESSAGES/django.mo is stale: run `make messages` (README, Adding a language)"
    )


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext) to extract messages")
def test_every_marked_string_is_in_the_catalogues(tmp_path):
    """Extract the messages afresh (on a copy of the sources) and compare with the French catalogue."""
    for name in ["core", "rma", "diagnostics", "config", "demo", "templates"]:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    (tmp_path / "locale" / "fr" / "LC_MESSAGES").mkdir(parents=True)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-location"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    extracted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(tmp_path / "locale/fr/LC_MESSAGES/django.po"))}
    shipped = {(e.msgctxt, e.msgid) for e in catalogue("fr")}
    assert sorted(m for _c, m in extracted - shipped) == [], "marked but not in the catalogues: run `make messages`"
    assert sorted(m for _c, m in shipped - extracted) == [], "in the catalogues but no longer in the code"
