"""Campaigns, the calling side: reading a list into a campaign (``importing``),
the objective template (``template``), the command line's commands
(``commands``) and the export (``export``). The store keeps campaigns
(store/campaigns.py); the engine runs their jobs like any other."""
