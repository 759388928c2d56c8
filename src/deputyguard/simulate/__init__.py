"""`deputyguard simulate`: case files, running cases, the text report."""
