"""Alembic migrations of the feedback store (run by :meth:`serving.review.store.FeedbackStore.migrate`)."""
