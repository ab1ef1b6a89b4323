"""The ground floor: domain-free helpers (bulk COPY, PDF, e-mail, SMS, identifiers, uploads,
bidi text). Nothing here imports an app of the portal."""
