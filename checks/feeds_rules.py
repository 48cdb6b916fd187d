def check_json_feed(report, name, url, body):
    pass
def check_xml(report, name, kind, url, root):
    pass
