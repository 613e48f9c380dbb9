"""Content plan: drafts, approval, publishing and the bureaucratese linter."""
