"""Charts (PNG) and workbooks (XLSX, ODS), used by the bot and the command line alike. Imports
i18n, services and kpi; never bot/ or cli/."""
