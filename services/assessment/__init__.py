"""Assessment (考核): indicators from the records, weights, drafts, publishing, stars, awards."""
