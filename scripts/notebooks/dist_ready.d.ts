// dist_ready.js exports nothing: notebooks import it for its check only. This declaration lets
// tslab resolve the import (a .js file outside the notebook's folder would not be allowed).
export {};
