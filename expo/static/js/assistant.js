// The assistant's run page: while the solver searches, show its latest point (objective and
// bound) from the small JSON endpoint, and reload once the proposal is ready. Without
// JavaScript the page refreshes itself.
(() => {
  const section = document.getElementById("assistant-progress");
  if (!section || section.dataset.finished === "true") return;
  const refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (refresh) refresh.remove();
  const point = section.querySelector("[data-run-point]");
  const poll = async () => {
    try {
      const response = await fetch(section.dataset.progressUrl, { headers: { Accept: "application/json" } });
      const answer = await response.json();
      if (answer.finished) {
        window.location.reload();
        return;
      }
      const last = answer.progress[answer.progress.length - 1];
      if (last) point.textContent = `${Math.round(last[1])} ≥ ${Math.round(last[2])} · ${last[0]} s`;
    } catch (error) {
      // A missed poll is tried again.
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 1000);
})();
