"""A Content-Security-Policy on every page: scripts only from the site itself.

The policy goes into each finished page as `<meta http-equiv="Content-Security-Policy">`,
right at the top of <head> (after `<meta charset>` alone, which must stay within the first
bytes of the file and governs nothing), so that it covers every script and style below it.

Scripts: the site's own files ('self') and, of the inline scripts, exactly those the build
wrote into this page. mkdocs-material writes a few small ones into every page (its scope and
storage helpers, the palette and the content tabs), and the notebook pages have
mkdocs-jupyter's (the copy button of a cell); some differ from page to page (the path back to
the site's root), so each page's policy lists the SHA-256 of its own inline scripts, not
'unsafe-inline'. A script put into a page after the build (an injected <script>, an inline
event handler such as onclick) does not run; so the site adds no such handler anywhere.

Styles: the site's own files and inline styles ('unsafe-inline'), since KaTeX's markup
positions every glyph with a style attribute and the notebook pages carry their style sheets
inline. Images: the site's own and data: URLs (notebook outputs are inline PNGs). Workers
(the playground's trainer, the search index): the site's own. No plugins, no <base>, no
forms sent elsewhere. `frame-ancestors` and reporting cannot be set from a <meta> element
(browsers ignore them there and complain); they would need HTTP headers, which GitHub
Pages does not let a site set.

Registered last in mkdocs.yml's hooks, so that it sees each page as it is written.

`mkdocs serve` adds its live-reload script to every page as it serves it, with numbers that
change on each request, so no hash can allow it: there (only there) the inline scripts are
allowed as such, 'unsafe-inline' instead of their hashes; the rest of the policy is the same.
"""

import base64
import hashlib
import html
import re

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],  # and the page's inline scripts, by hash
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}

# An inline script: a <script> element without src. Its text is hashed exactly as written,
# which is what the browser hashes (a script's text is raw text: no entities are decoded).
SCRIPT = re.compile(
    r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)
ATTRIBUTE = re.compile(r"""([^\s=/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
# The types a browser runs as script; any other (application/json, ...) is data.
SCRIPT_TYPES = {
    "",
    "text/javascript",
    "application/javascript",
    "module",
    "text/ecmascript",
    "application/ecmascript",
    "text/jscript",
    "text/livescript",
}
HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
CHARSET = re.compile(r"\s*<meta\s+charset=[^>]*>", re.IGNORECASE)
EXISTING = re.compile(
    r"<meta\s+http-equiv=\"Content-Security-Policy\"", re.IGNORECASE
)


def attributes(text):
    found = {}
    for name, value in ATTRIBUTE.findall(text):
        found[name.lower()] = (
            html.unescape(value.strip("\"'")) if value else ""
        )
    return found


def inline_scripts(page_html):
    """The text of each inline script the browser would run, in order."""
    scripts = []
    for match in SCRIPT.finditer(page_html):
        attrs = attributes(match[1])
        if (
            "src" in attrs
            or attrs.get("type", "").strip().lower() not in SCRIPT_TYPES
        ):
            continue
        scripts.append(match[2])
    return scripts


def sha256(text):
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


serving = False  # set by on_startup for `mkdocs serve`


def on_startup(command, dirty):
    global serving
    serving = command == "serve"


def policy(page_html):
    """The policy for this page: POLICY plus the hashes of its inline scripts."""
    directives = {name: list(sources) for name, sources in POLICY.items()}
    scripts = directives["script-src"]
    if serving:  # the live-reload script: see the top of this file
        scripts.append("'unsafe-inline'")
    for text in [] if serving else inline_scripts(page_html):
        if sha256(text) not in scripts:
            scripts.append(sha256(text))
    return "; ".join(
        f"{name} {' '.join(sources)}" for name, sources in directives.items()
    )


def with_policy(page_html):
    """The page with its policy as the first element of <head> (after <meta charset>)."""
    head = HEAD.search(page_html)
    if not head or EXISTING.search(page_html):
        return page_html
    at = head.end()
    charset = CHARSET.match(page_html, at)
    if charset:
        at = charset.end()
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy(page_html), quote=False)}">'
    return page_html[:at] + meta + page_html[at:]


def on_post_page(output, page, config):
    return with_policy(output)


def on_post_template(output_content, template_name, config):
    """The theme's own pages (404.html); sitemap.xml has no <head> and is left as it is."""
    return with_policy(output_content)
