import os

from django.core.wsgi import get_wsgi_application

from mentoring_portal.process import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring_portal.settings")
application = get_wsgi_application()
settle()  # start-up objects out of the collector's reach (mentoring_portal/process.py)
