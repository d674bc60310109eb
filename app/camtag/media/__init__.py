"""Media access: probing, the single decode pass, poster frames and frame sampling."""
