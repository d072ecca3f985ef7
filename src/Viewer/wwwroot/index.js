"use strict";
(async () => {
  const run = await (await fetch("/api/run")).json();
  document.getElementById("title").textContent = run.title;
  document.title = run.title + " — Amil.MLNet viewer";
  const links = document.getElementById("links");
  if (run.report) links.innerHTML = '<a href="/report">run summary (report.html)</a>';
  const classSelect = document.getElementById("class");
  for (const c of run.classes) classSelect.add(new Option(c, c));
  const score = (i) => (i.p_true ?? i.p);
  let sortKey = "worst", ascending = true;
  const render = () => {
    const cls = classSelect.value, outcome = document.getElementById("outcome").value;
    let rows = run.items.filter((i) =>
      (!cls || i.label === cls || (i.label === null && i.predicted === cls)) &&
      (!outcome || (outcome === "wrong" ? i.correct === false : i.correct === true)));
    rows.sort((a, b) => {
      const va = sortKey === "worst" ? score(a) : a[sortKey], vb = sortKey === "worst" ? score(b) : b[sortKey];
      const d = va === vb ? 0 : (va === null ? 1 : vb === null ? -1 : va < vb ? -1 : 1);
      return ascending ? d : -d;
    });
    const body = document.querySelector("#items tbody");
    body.innerHTML = "";
    for (const i of rows) {
      const tr = body.insertRow();
      const call = i.correct === null ? "–" : i.correct ? "right" : "wrong";
      const cells = [`<a href="/item/${i.id}">${escape(i.name)}</a>`, i.kind, escape(i.label ?? "–"),
        escape(i.predicted), i.p.toFixed(3), i.p_true === null ? "–" : i.p_true.toFixed(3), call, i.patches];
      for (const c of cells) tr.insertCell().innerHTML = c;
      tr.className = i.correct === false ? "wrong" : "";
    }
    document.getElementById("count").textContent = `${rows.length} of ${run.items.length}`;
  };
  const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  for (const th of document.querySelectorAll("th[data-key]"))
    th.addEventListener("click", () => {
      ascending = sortKey === th.dataset.key ? !ascending : true;
      sortKey = th.dataset.key;
      render();
    });
  classSelect.addEventListener("change", render);
  document.getElementById("outcome").addEventListener("change", render);
  render();
})();
