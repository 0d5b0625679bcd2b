// @ts-check
// Building the page from data without ever parsing data as HTML: every text goes through a
// text node, every attribute through setAttribute. Backend ids and URLs come from the
// registry, which anyone with access to Redis writes.

const svgNamespace = 'http://www.w3.org/2000/svg';

/**
 * An HTML element with attributes and children; strings and numbers become text nodes.
 * @param {string} tag
 * @param {Record<string, string>} [attributes]
 * @param {(Node | string | number)[]} children
 * @returns {HTMLElement}
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children.map((child) => (typeof child === 'number' ? String(child) : child)));
  return element;
}

/**
 * An SVG element with attributes.
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @returns {SVGElement}
 */
export function svgEl(tag, attributes = {}) {
  const element = document.createElementNS(svgNamespace, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/**
 * A table cell labelled for the narrow layout, where each row reads as a card of
 * "label: value" lines (the label is shown by CSS from data-label).
 * @param {string} label
 * @param {string} className
 * @param {(Node | string | number)[]} children
 * @returns {HTMLElement}
 */
export function cell(label, className, ...children) {
  return el('td', { 'data-label': label, class: className }, ...children);
}

/**
 * The element with this id; the page's skeleton has them all.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element;
}

/**
 * Sets an element's text if it changed (so a selection or a screen reader is not disturbed).
 * @param {Element} element
 * @param {string} text
 */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}
