// Where the keyboard's focus goes; the page works without this, and the browser's own rules decide
// everything else.
// A form answered with a mistake marks the field at fault with `autofocus`, but a browser skips
// autofocus on a page opened at an anchor (the draft check answers at #tjek): focus it here, once the
// page has loaded and the browser has scrolled to the anchor (which would take the focus away again).
// An answer further down the page than its anchor (the draft check's result) is focused the same way.
const atFault = document.querySelector("[autofocus]") || document.querySelector("[data-focus-on-load]");
if (atFault) window.addEventListener("load", () => setTimeout(() => atFault.focus(), 0));
// A field that gets the focus inside a table that scrolls sideways (the assessment's fill-in table on
// a phone) is scrolled into its frame: Chromium leaves a select at the frame's edge mostly hidden.
document.addEventListener("focusin", (event) => {
  if (event.target.closest(".table-scroll")) event.target.scrollIntoView({ block: "nearest", inline: "nearest" });
});
