// Render the notebook pages' math with the KaTeX copy the site serves itself (added to the
// build by docs/hooks/katex.py, which also typesets the chapters' formulas at build time).
// Material calls this on every page load (document$), including instant navigation.
document$.subscribe(({ body }) => {
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
