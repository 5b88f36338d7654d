// The incident form's commodity picker: autocompleter (MIT), exposed as window.Autocompleter.
export { default } from "autocompleter";
