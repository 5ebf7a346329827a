"""Value insights: runs the value engine (kam_analytics) over the book and stores scores,
tiers and their history. The only Django code that imports kam_analytics."""
