"""Data sources: connections to CRMs, ERPs and HTTPS endpoints synced on a schedule or by
webhooks through the same validation and storage path as file imports."""
