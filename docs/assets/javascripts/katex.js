// Render math with the KaTeX copy the site serves itself (added to the build by docs/hooks/katex.py).
// Material calls this on every page load (document$), including instant navigation.
document$.subscribe(({ body }) => {
  // Markdown pages: pymdownx.arithmatex (generic mode) wraps each formula in an .arithmatex
  // element as \( ... \) or \[ ... \], so only those elements are touched.
  for (const element of body.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
    })
  }
  // Notebook pages: Jupyter Markdown cells keep $...$ and $$...$$ as the author wrote them.
  for (const element of body.querySelectorAll(".jupyter-wrapper .jp-RenderedMarkdown")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
    })
  }
})
