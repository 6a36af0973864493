// Escaping for the HTML this kit writes (the run report, notebook tables and plots). Everything a
// data set or a user names (class names, paths, titles) goes through one of these two.
//
//   escapeHtml(s)   text and attribute values: & < > " ' become entities
//   scriptJson(v)   a value inside an inline <script>: JSON.stringify, then < > & and the JS line
//                   separators U+2028/2029 as \uXXXX escapes, so "</script>" in a string cannot end
//                   the element (JSON.stringify alone leaves "</" as it is). JSON.parse reads it back.

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
