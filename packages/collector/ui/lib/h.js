// Builds DOM elements. Data only ever becomes text nodes or attribute values set through
// the DOM API, so a value containing markup shows as that markup, never as elements.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * @typedef {Record<string, unknown> & { on?: Record<string, EventListener>, style?: Record<string, string>, dataset?: Record<string, string> }} Attrs
 * @typedef {Node | string | number | null | undefined | false | Child[]} Child
 */

/** Only same-document or relative links; an event value must never become a javascript: URL. */
function safeHref(value) {
  const text = String(value);
  return /^(#|\/|\.\/|\.\.\/|\?)/.test(text) ? text : '#';
}

function apply(el, attrs) {
  if (attrs === null || attrs === undefined) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'on') {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (key === 'style') {
      // CSSOM writes, not a style attribute, so the Content-Security-Policy allows them.
      for (const [prop, v] of Object.entries(value)) el.style.setProperty(prop, String(v));
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    } else if (key === 'href') {
      el.setAttribute('href', safeHref(value));
    } else if (/^on/i.test(key) || key === 'srcdoc' || key === 'innerHTML') {
      throw new Error(`h(): refusing attribute ${key}`);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * h('a', { href: '#/x', class: 'link' }, 'text', child, [more]) → HTMLElement
 * @param {string} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/**
 * The same for SVG elements.
 * @param {string} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {SVGElement}
 */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Replaces every child of el. */
export function replaceChildren(el, ...children) {
  el.textContent = '';
  append(el, children);
}
