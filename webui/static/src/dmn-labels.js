/* Decision tables in the editor and the read-only view: codes shown with their labels. */

// The decision table's cells hold codes ("major", "A"); each known one shows its label beside it
// (config.valueLabels, in the user's language) through a data attribute the stylesheet prints. dmn-js
// writes a few titles without its translate service ("Move Input"): those are translated here too.
export function touchTable(container, labels, dictionary) {
  const mark = () => {
    container.querySelectorAll('td.input-cell, td.output-cell').forEach((cell) => {
      const code = cell.textContent.trim().replace(/^"(.*)"$/, '$1');
      const text = Object.prototype.hasOwnProperty.call(labels, code) ? labels[code] : '';
      if ((cell.dataset.gsLabel || '') !== text) {
        if (text) cell.dataset.gsLabel = text; else delete cell.dataset.gsLabel;
      }
    });
    if (!dictionary) return;
    container.querySelectorAll('[title]').forEach((node) => {
      const text = dictionary[node.getAttribute('title')];
      if (text) node.setAttribute('title', text);
    });
  };
  new MutationObserver(mark).observe(container, { childList: true, subtree: true, characterData: true,
    attributes: true, attributeFilter: ['title'] });
  mark();
}
