"""Web screens of monitoring: road maps («Дорожные карты») and campaigns («Мониторинг»)."""
