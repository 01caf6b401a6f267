/** `value` as HTML text or a double-quoted attribute value: `&<>"'` become character references. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
