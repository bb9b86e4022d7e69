"""Pages for administrators and faculty: courses, activities, enrollments, users, settings."""
