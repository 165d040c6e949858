# Money and figures in Chinese business documents are grouped by thousands with a comma ("413,500 EUR"); Django's
# zh_Hans formats group by ten thousand with no separator ("413500"). Everything else comes from Django's module.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
