"""A .zip of several diagrams (and the forms they use), made elsewhere: checked together, so that calls
between its files resolve, and deployed together, callees first. Nothing is written unless every file
passes; then each new or changed form becomes its next version (instances keep the form they started
with) and each diagram its model's next version.
"""
from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import forms
from engine import Problem
from records import form_versions as fv

from . import access, form_versions
from .drafts import MODELER, check_name
from .errors import Invalid
from .i18n import _

MAX_ENTRIES = 100
MAX_TOTAL_BYTES = 20 * 1024 * 1024
FORM_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,150}\.(ui)?schema\.json$")
MODEL_SUFFIXES = (".bpmn", ".dmn")


@dataclass
class Bundle:
    models: dict = field(default_factory=dict)       # file name -> bytes
    forms: dict = field(default_factory=dict)        # form file name -> bytes
    ignored: list = field(default_factory=list)      # names of entries that are neither


@dataclass
class BundleResult:
    problems: dict                 # file name -> [Problem] (warnings included)
    results: list = field(default_factory=list)      # DeployResults, callees first, when deployed
    forms_added: list = field(default_factory=list)
    ignored: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(not p.warning for found in self.problems.values() for p in found)


def read_bundle(rt, data: bytes) -> Bundle:
    """The diagrams and forms of a zip; Invalid when it is not a zip or is too big."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError):
        raise Invalid(_("The file is not a .zip archive.")) from None
    if len(entries) > MAX_ENTRIES:
        raise Invalid(_("The archive holds %(count)s files; at most %(limit)s are read.", count=len(entries),
                        limit=MAX_ENTRIES))
    bundle, total = Bundle(), 0
    for info in entries:
        name = PurePosixPath(info.filename.replace("\\", "/")).name
        if info.filename.startswith("__MACOSX/") or name.startswith("."):
            continue
        wanted = name.lower().endswith(MODEL_SUFFIXES) or FORM_NAME.match(name)
        if not wanted:
            bundle.ignored.append(info.filename)
            continue
        limit = rt.engine.max_model_bytes
        with archive.open(info) as member:
            content = member.read(limit + 1)             # the declared size may lie
        total += len(content)
        if len(content) > limit or total > MAX_TOTAL_BYTES:
            raise Invalid(_("%(name)s is too big: a diagram or form may have at most %(limit)s bytes.", name=name,
                            limit=f"{limit:,}"))
        target = bundle.models if name.lower().endswith(MODEL_SUFFIXES) else bundle.forms
        if name in target:
            raise Invalid(_("The archive holds two files named %(name)s.", name=name))
        target[name] = content
    if not bundle.models:
        raise Invalid(_("The archive holds no .bpmn or .dmn file."))
    return bundle


def lint_bundle(rt, session, actor, data: bytes) -> BundleResult:
    """Every problem of every file of the archive, checked together (nothing is written)."""
    access.require_modeller(actor)
    bundle = read_bundle(rt, data)
    with tempfile.TemporaryDirectory() as folder:
        return _checked(rt, session, bundle, Path(folder))


def deploy_bundle(rt, session, actor, data: bytes, comment: str | None = None) -> BundleResult:
    """Check the archive; when every file passes, add its new forms and deploy its diagrams, callees first."""
    access.require_modeller(actor)
    bundle = read_bundle(rt, data)
    with tempfile.TemporaryDirectory() as folder:
        checked = _checked(rt, session, bundle, Path(folder))
    if not checked.ok:
        return checked
    checked.forms_added = _store_forms(rt, session, actor, bundle.forms, comment)
    checked.results = rt.engine.deploy_files(session, list(bundle.models.items()), actor.username,
                                             comment or _("uploaded together in an archive"), origin=MODELER)
    return checked


def _store_forms(rt, session, actor, found: dict, comment: str | None) -> list[str]:
    """The archive's forms that are new or differ from their newest version, stored as their next versions."""
    stored = []
    for name, content in sorted(found.items()):
        text = content.decode("utf-8")
        latest = fv.latest(session, name)
        if latest is not None and latest.parsed() == json.loads(text):
            continue
        if latest is None and form_versions.text_of(rt, session, name) == text:
            continue                                  # the same as the file of the forms folder
        form_versions.store(session, name, text, origin=MODELER, actor=actor.username, now=rt.now(),
                            comment=comment or None)
        stored.append(name)
    session.commit()
    return stored


def _checked(rt, session, bundle: Bundle, scratch: Path) -> BundleResult:
    problems: dict[str, list] = {}
    for name, content in bundle.forms.items():
        (scratch / name).write_bytes(content)
        why = forms.problem(name, scratch)
        problems[name] = [Problem(name, None, None, f"{name} {why}")] if why else []
    for name in bundle.models:
        try:
            check_name(name.rsplit(".", 1)[0])
            problems[name] = []
        except Invalid as err:
            problems[name] = [Problem(name, None, None, err.message)]

    def form_check(name: str):
        if (scratch / name).is_file():
            return forms.problem(name, scratch)
        return rt.engine.form_store.problem(session, name) if rt.engine.form_store else rt.engine.form_check(name)

    for name, found in rt.engine.lint_files(session, list(bundle.models.items()), None, form_check).items():
        problems[name] = problems[name] + found
    return BundleResult(problems, ignored=bundle.ignored)
