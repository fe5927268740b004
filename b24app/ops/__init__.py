"""Operations: worker and scheduler processes, readiness checks, the `ops` commands."""
