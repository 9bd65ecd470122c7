// People picker: turns each <select multiple> inside .people-picker into a search box with
// chips. The select holds only the people already chosen; it stays in the form (hidden) and
// is what gets submitted. Without JavaScript, people are added by e-mail in the fallback field,
// which the search box replaces.
(() => {
  "use strict";

  function enhance(wrapper) {
    const select = wrapper.querySelector("select[multiple]");
    if (!select || wrapper.dataset.enhanced) return;
    wrapper.dataset.enhanced = "1";
    const labels = wrapper.dataset;
    const label = wrapper.querySelector(`label[for="${select.id}"]`);

    const chips = document.createElement("ul");
    chips.className = "picker-chips";
    chips.setAttribute("aria-live", "polite");

    const search = document.createElement("input");
    search.type = "search";
    search.id = `${select.id}-search`;
    search.autocomplete = "off";
    search.placeholder = labels.labelSearch;
    if (!label) search.setAttribute("aria-label", labels.labelSearch);

    const results = document.createElement("ul");
    results.className = "picker-results";

    select.hidden = true;
    wrapper.querySelectorAll(".picker-fallback").forEach((fallback) => { fallback.hidden = true; });
    if (label) label.htmlFor = search.id;
    select.after(chips, search, results);

    function renderChips() {
      chips.replaceChildren();
      for (const option of select.selectedOptions) {
        const item = document.createElement("li");
        const name = document.createElement("span");
        name.textContent = option.textContent;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "secondary outline";
        remove.textContent = "×";
        remove.setAttribute("aria-label", `${labels.labelRemove} ${option.textContent}`);
        remove.addEventListener("click", () => {
          option.selected = false;
          renderChips();
          search.focus();
        });
        item.append(name, remove);
        chips.append(item);
      }
    }

    function choose(person) {
      let option = Array.from(select.options).find((o) => o.value === String(person.id));
      if (!option) {
        option = new Option(person.label, person.id);
        select.add(option);
      }
      option.selected = true;
      results.replaceChildren();
      search.value = "";
      renderChips();
      search.focus();
    }

    function showResults(people) {
      results.replaceChildren();
      const chosen = new Set(Array.from(select.selectedOptions, (o) => o.value));
      const fresh = people.filter((p) => !chosen.has(String(p.id)));
      if (!fresh.length) {
        const none = document.createElement("li");
        none.textContent = labels.labelNone;
        results.append(none);
        return;
      }
      for (const person of fresh) {
        const item = document.createElement("li");
        const add = document.createElement("button");
        add.type = "button";
        add.className = "outline";
        add.textContent = `${labels.labelAdd}: ${person.label}`;
        add.addEventListener("click", () => choose(person));
        item.append(add);
        results.append(item);
      }
    }

    let timer = null;
    let latest = 0;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      const q = search.value.trim();
      if (q.length < 2) {
        results.replaceChildren();
        return;
      }
      timer = setTimeout(async () => {
        const ticket = ++latest;
        const url = `${wrapper.dataset.searchUrl}?q=${encodeURIComponent(q)}`;
        try {
          const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
          if (!response.ok || ticket !== latest) return;
          showResults((await response.json()).results);
        } catch (error) {
          results.replaceChildren();
        }
      }, 200);
    });
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {  // pick the first match instead of submitting the form
        event.preventDefault();
        const first = results.querySelector("button");
        if (first) first.click();
      }
    });

    renderChips();
  }

  document.querySelectorAll(".people-picker").forEach(enhance);
  document.querySelectorAll(".picker-hint").forEach((hint) => { hint.hidden = true; });
})();
