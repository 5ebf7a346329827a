"""Risk: dated checks of the whole book (churn, credit, relationships, order anomalies),
the watch list, the account page's risk section and the dashboard's risk summary. The
figures come through kam.insights.risk; this app never imports kam_analytics."""
