# Road maps and monitoring campaigns land with the monitoring issue; the app is wired now
# so that its migrations and scopes join the same project layout.
