// Material draws a code annotation's marker as a link whose number is CSS content, which a
// screen reader does not announce: give each marker a name, "annotation 1", "annotation 2".
// The markers are made by Material's own script, so unnamed ones are looked for whenever the
// page changes.
function nameAnnotationMarkers() {
  for (const marker of document.querySelectorAll("a.md-annotation__index:not([aria-label])")) {
    const number = marker.getAttribute("href").split("_annotation_").pop()
    marker.setAttribute("aria-label", `annotation ${number}`)
  }
}

new MutationObserver(nameAnnotationMarkers).observe(document.body, { childList: true, subtree: true })
nameAnnotationMarkers()
