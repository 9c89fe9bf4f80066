"""Speed and memory benches of the clip engine and the listings (`make bench`)."""
