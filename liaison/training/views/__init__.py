"""Pages of training: parse, authorise, call a service, render. One module per section."""
