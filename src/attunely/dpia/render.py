"""Write a DPIA pack as one self-contained HTML page, or as Markdown."""

from __future__ import annotations

from html import escape

from attunely.dpia.datamap import Pack, Table

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
  color: #1d2421; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #c9d2cd; }
table { border-collapse: collapse; margin: .6rem 0 1.4rem; width: 100%; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #c9d2cd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef3f0; } td { overflow-wrap: anywhere; }
nav li { display: inline; margin-right: 1rem; }
"""


def _html_table(table: Table) -> str:
    head = "".join(f"<th scope=col>{escape(h)}</th>" for h in table.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    return (
        f"<table><caption>{escape(table.caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def html(pack: Pack) -> str:
    """Return the pack as a standalone HTML document (no scripts, no outside resources)."""
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>Data map - {escape(pack.organisation)}</title><style>{_STYLE}</style></head>",
        f"<body><h1>Data protection impact assessment: data map for "
        f"{escape(pack.organisation)}</h1>",
        f"<p>Generated {escape(pack.generated_at.isoformat(timespec='seconds'))} by Attunely "
        f"{escape(pack.app_version)} from the live configuration and database schema.</p>",
        "<nav><ul>"
        + "".join(f"<li><a href='#{s.key}'>{escape(s.title)}</a></li>" for s in pack.sections)
        + "</ul></nav>",
    ]
    for section in pack.sections:
        parts.append(f"<section id={section.key}><h2>{escape(section.title)}</h2>")
        parts.extend(f"<p>{escape(p)}</p>" for p in section.paragraphs)
        parts.extend(_html_table(t) for t in section.tables)
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(pack: Pack) -> str:
    """Return the pack as Markdown (GitHub tables)."""
    lines = [
        f"# Data protection impact assessment: data map for {pack.organisation}",
        "",
        f"Generated {pack.generated_at.isoformat(timespec='seconds')} by Attunely "
        f"{pack.app_version} from the live configuration and database schema.",
    ]
    for section in pack.sections:
        lines += ["", f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        for table in section.tables:
            lines += [f"**{_md_cell(table.caption)}**", ""]
            lines.append("| " + " | ".join(_md_cell(h) for h in table.headers) + " |")
            lines.append("|" + "---|" * len(table.headers))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
