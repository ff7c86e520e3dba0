"""Scheduled background jobs (run by the cron worker)."""
