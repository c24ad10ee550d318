"""WeCom (企业微信) group robots: one per grid's work group; messages in markdown, 20 a minute."""
