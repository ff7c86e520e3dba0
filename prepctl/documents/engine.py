"""The Jinja2 environment for documents: template lookup, filters and error mapping.

Lookup: a ``templates/`` folder next to phases.yaml wins over the templates shipped in
``prepctl/templates/``, name for name, so a project can change one document without forking
prepctl. Undefined variables are errors (StrictUndefined): a typo in an override must not
silently render as an empty cell in a signed-off RFC. HTML templates are autoescaped; Markdown
templates mark source-provided text inert with the ``code``/``cell``/``text``/``block`` filters.
Whatever the filter, every expression's output passes ``finalize`` (no escape sequence, control
character or CI workflow command: see prepctl.inert), and a rendered Markdown document is made
inert as a whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from prepctl.errors import PrepctlError, Problem
from prepctl.inert import clean, clean_value, markdown_code_block, markdown_code_span, markdown_inline

if TYPE_CHECKING:
    import jinja2

PROJECT_TEMPLATES = "templates"
TEMPLATE_SUFFIX = ".j2"


def shipped_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "templates"


def project_dir(config_dir: Path) -> Path:
    return config_dir / PROJECT_TEMPLATES


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    origin: str  # "project" (overrides) or "shipped"
    path: Path
    overrides_shipped: bool = False


def list_templates(config_dir: Path) -> list[TemplateInfo]:
    """Every template a render can use, with where it comes from."""
    shipped = {p.name: p for p in sorted(shipped_dir().glob(f"*{TEMPLATE_SUFFIX}"))}
    project_folder = project_dir(config_dir)
    project = ({p.name: p for p in sorted(project_folder.glob(f"*{TEMPLATE_SUFFIX}"))}
               if project_folder.is_dir() else {})
    out = []
    for name in sorted({*shipped, *project}):
        if name in project:
            out.append(TemplateInfo(name, "project", project[name], overrides_shipped=name in shipped))
        else:
            out.append(TemplateInfo(name, "shipped", shipped[name]))
    return out


def resolve_name(config_dir: Path, name: str) -> TemplateInfo:
    """Accept `rfc.md.j2` or `rfc.md`; unknown names get the list of known ones."""
    known = list_templates(config_dir)
    for candidate in (name, name + TEMPLATE_SUFFIX):
        for info in known:
            if info.name == candidate:
                return info
    raise PrepctlError(Problem(file="templates", message=f"unknown template '{name}'",
                               hint="known templates: " + ", ".join(i.name for i in known)))


def eject(config_dir: Path, name: str) -> Path:
    """Copy a shipped template into the project's templates/ folder, never over an existing file."""
    from prepctl.fileio import atomic_write_bytes

    info = resolve_name(config_dir, name)
    source = shipped_dir() / info.name
    if not source.is_file():
        raise PrepctlError(Problem(file=str(info.path), message=f"'{info.name}' is a project template, "
                                   "not a shipped one", hint="there is nothing to eject"))
    target = project_dir(config_dir) / info.name
    if target.exists():
        raise PrepctlError(Problem(file=str(target), message="already exists; not overwritten",
                                   hint="edit it, or delete it to eject a fresh copy"))
    atomic_write_bytes(target, source.read_bytes())
    return target


# ---------------------------------------------------------------- filters


def md_code(value: Any) -> str:
    """An inline code span that holds any text: Markdown renders its content literally."""
    return markdown_code_span(_source_text(value))


def md_text(value: Any) -> str:
    """Source-provided text inside Markdown prose: HTML and Markdown structure stay text, the
    line stays one line, no workflow command or escape sequence survives (prepctl.inert)."""
    return markdown_inline(_source_text(value))


def md_cell(value: Any) -> str:
    """Like md_text, for a table cell (md_text already escapes the `|` that would split it)."""
    return md_text(value)


def _source_text(value: Any) -> str:
    if value is None:
        return ""
    return clean(value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str))


def md_block(value: Any) -> str:
    """A fenced code block for multi-line values (command output tails, queries)."""
    text = value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True, default=str)
    return markdown_code_block(clean(text))


def to_json(value: Any) -> str:
    """JSON for a <script type="application/json"> island; `<` is escaped so it cannot end the tag."""
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# ---------------------------------------------------------------- environment


class Renderer:
    """Renders named templates for one project (the folder holding phases.yaml)."""

    def __init__(self, config_dir: Path):
        self.config_dir = config_dir
        self._env: jinja2.Environment | None = None

    @property
    def env(self) -> jinja2.Environment:
        if self._env is None:
            self._env = _environment(self.config_dir)
        return self._env

    def render(self, name: str, **context: Any) -> str:
        import jinja2

        try:
            template = self.env.get_template(name)
            text = template.render(**context)
        except jinja2.TemplateSyntaxError as exc:
            raise PrepctlError(Problem(file=exc.filename or name, line=exc.lineno,
                                       message=f"template syntax error: {exc.message}",
                                       hint=self._hint(name))) from None
        except jinja2.TemplateNotFound:
            raise PrepctlError(Problem(file=name, message="template not found",
                                       hint=f"it should be in {project_dir(self.config_dir)} or "
                                       "shipped with prepctl")) from None
        except (jinja2.UndefinedError, TypeError, ValueError, AttributeError, KeyError) as exc:
            file, line = _template_frame(exc.__traceback__, name)
            raise PrepctlError(Problem(file=file, line=line,
                                       message=f"template error: {exc}", hint=self._hint(name))) from None
        if not self.env.autoescape(name):  # type: ignore[operator] - select_autoescape: a callable
            # A text document (Markdown) is printed by CI and pasted into terminals: the whole of
            # it is made inert, so text split over two expressions cannot start a command either.
            text = clean(text)
        # Deterministic bytes whatever the platform: one newline style, one final newline.
        return text.replace("\r\n", "\n").rstrip("\n") + "\n"

    def _hint(self, name: str) -> str:
        override = project_dir(self.config_dir) / name
        if override.is_file():
            return f"fix the project override {override}, or delete it to use the shipped one"
        return "this is a shipped template: please report it"


def _environment(config_dir: Path) -> jinja2.Environment:
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    folder = project_dir(config_dir)
    if folder.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(folder)))
    loaders.append(jinja2.FileSystemLoader(str(shipped_dir())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "svg.j2", "html", "svg"),
                                            default_for_string=False, default=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        finalize=clean_value,
    )
    env.filters.update(code=md_code, text=md_text, cell=md_cell, block=md_block, tojson_safe=to_json)
    return env


def _template_frame(tb: TracebackType | None, default: str) -> tuple[str, int | None]:
    """The template file and line a rendering error came from (Jinja keeps them in the traceback)."""
    found: tuple[str, int | None] = (default, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(TEMPLATE_SUFFIX):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
