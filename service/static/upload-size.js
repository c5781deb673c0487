// A file over the service's upload limit is refused as soon as it is chosen, before the form is
// sent: a body over the limit is refused unread (413), and the page that says so cannot give back
// what the user typed in the form. Without JavaScript the service's own answer still says why.
for (const input of document.querySelectorAll('input[type="file"][data-max-bytes]')) {
  input.addEventListener("change", () => {
    const limit = Number(input.dataset.maxBytes);
    const large = Array.from(input.files).find((file) => file.size > limit);
    const message = large
      ? input.dataset.tooLarge.replace("{kb}", Math.ceil(large.size / 1000)).replace("{name}", large.name)
      : "";
    input.setCustomValidity(message); // the browser keeps the form from being sent while this is set
    if (large) input.reportValidity();
  });
}
