"""Code shared by the intake channels: student field rules and their messages."""
