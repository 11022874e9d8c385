"""What every adapter needs to speak: translations (`i18n.translations`), Vietnamese numbers and
dates (`i18n.formatting`), and the texts of statuses, periods, units and problems (`i18n.texts`,
`i18n.pace_text`, `i18n.problems`). Below bot/, cli/ and documents/: it imports none of them."""
