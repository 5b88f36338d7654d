"""Pages of the exchange: parse, authorise, call a service, render. One module per section."""
