"""One module per page: each holds the page's GET view and the POST actions made from it."""
