"""Mail to students: SMTP sending and the messages about their applications."""
