// Organisers' tables: a box in the heading ticks or unticks every row of the page.
(() => {
  for (const all of document.querySelectorAll("[data-select-all]")) {
    const table = all.closest("table");
    const boxes = () => table.querySelectorAll('tbody input[type="checkbox"][name="ids"]');
    all.addEventListener("change", () => {
      for (const box of boxes()) box.checked = all.checked;
    });
  }
})();
