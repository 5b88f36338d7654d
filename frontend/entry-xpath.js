// The OpenRosa XPath engine of Enketo (openrosa-xpath-evaluator), exposed to the questionnaire
// page as the global OpenRosaXPath.evaluator(): it evaluates relevant, constraint and calculate
// expressions in the browser; the server evaluates them again on submission.
const openrosaXPath = require("openrosa-xpath-evaluator");

module.exports = { evaluator: openrosaXPath };
