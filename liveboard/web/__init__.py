"""The web layer: thin routes over the domain, forms, cookies, and the rules every request obeys."""
