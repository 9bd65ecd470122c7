// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// Menus that fold behind a button on narrow screens (the header's links, the workspace menu).
// Without JavaScript they simply stay open.
(() => {
  const toggles = document.querySelectorAll("[data-nav-toggle]");
  if (!toggles.length) return;
  document.documentElement.classList.add("js-nav");
  for (const button of toggles) {
    const menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) continue;
    button.hidden = false;
    menu.dataset.collapsed = "true";
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      menu.dataset.collapsed = String(!open);
    });
  }
})();

// A table wider than the screen scrolls inside its frame: the frame takes keyboard focus so the
// arrow keys scroll it, and is named after its table for screen readers.
(() => {
  for (const frame of document.querySelectorAll(".table-wrap")) {
    if (frame.scrollWidth <= frame.clientWidth) continue;
    frame.tabIndex = 0;
    frame.setAttribute("role", "region");
    const table = frame.querySelector("table");
    const caption = table && (table.caption || table.getAttribute("aria-label"));
    const heading = frame.closest("section")?.querySelector("h2, h3");
    const name = caption ? (caption.textContent || caption) : heading && heading.textContent;
    if (name) frame.setAttribute("aria-label", String(name).trim());
  }
})();

// Stars on sessions ("Interested") toggle in place; without JavaScript the form posts and the
// page comes back at the same row.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-star]");
  if (!form) return;
  event.preventDefault();
  const button = form.querySelector("button[aria-pressed]");
  try {
    const response = await fetch(form.action, {
      method: "POST", body: new FormData(form), headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(String(response.status));
    const answer = await response.json();
    button.setAttribute("aria-pressed", String(answer.starred));
    button.querySelector(".star-icon").textContent = answer.starred ? "★" : "☆";
  } catch (error) {
    form.submit();
  }
});

// Messages after an action float over the page (nothing below them moves); each closes with its
// button, and a confirmation leaves by itself after a while. Errors stay until closed.
(() => {
  for (const toast of document.querySelectorAll("[data-toast]")) {
    const close = toast.querySelector("[data-toast-close]");
    if (close) {
      close.hidden = false;
      close.addEventListener("click", () => toast.remove());
    }
    if (toast.dataset.toast === "success") setTimeout(() => toast.remove(), 12000);
  }
})();
